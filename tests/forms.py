"""Read a form in a page as a browser would submit it (for tests that edit prefilled forms)."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, index: int) -> None:
        super().__init__(convert_charrefs=True)
        self.index = index
        self.seen = -1
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.seen += 1
            self.inside = self.seen == self.index
        if not self.inside:
            return
        if tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
            self._option = None
        elif tag == "option" and self._select:
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._selected = True
            elif self._option is None:
                self._option = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if not self.inside:
            return
        if tag == "select" and self._select:
            if not self._selected and self._option is not None:
                self.fields.append((self._select, self._option))
            self._select, self._selected = None, False
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.fields.append((self._textarea, text))  # a browser drops the first newline
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_data(html: str, index: int = -1) -> dict[str, str | list[str]]:
    """The values the ``index``-th form of the page (default: the last) would send."""
    count = html.count("<form")
    reader = _FormReader(index if index >= 0 else count + index)
    reader.feed(html)
    data: dict[str, str | list[str]] = {}
    for name, value in reader.fields:
        if name in data:
            current = data[name]
            data[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            data[name] = value
    return data
