"""Relevance benchmark: does the search put the right recourse first?

Run ``python -m benchmarks.relevance`` from the project root; see ``README.md`` beside this file.
"""
