"""What every feature needs and no feature owns (text helpers, for now).

Any feature may import ``ato.core``; ``ato.core`` imports no feature.
"""
