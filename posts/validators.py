"""The rules a post's fields must meet. They sit on the model's fields (and Post.clean), so the
API's serializer, the upload form and the preview all apply the same ones."""

import math
from html.parser import HTMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_CODE_BYTES = 256 * 1024
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def validate_code(code):
    if not code.strip():
        raise ValidationError(_("Code may not be blank."), code="whitespace")
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ValidationError(
            _("Code is %(size)s bytes; the limit is %(limit)s bytes (256 KiB).")
            % {"size": size, "limit": MAX_CODE_BYTES},
            code="too_big",
        )


def validate_finite(value):
    if not math.isfinite(value):
        raise ValidationError(_("Enter a number."), code="not_finite")


def validate_svg(code):
    """Require a well-formed XML document whose root is <svg>, parsed without expanding any entity."""
    try:
        root = fromstring(code.encode("utf-8"), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ValidationError(_("SVG may not declare entities or load external resources.")) from None
    except ParseError as exc:
        # As the browser counts (the harness says the same): columns from 1, the reason last.
        line, column = exc.position
        reason = str(exc).rsplit(": line ", 1)[0]
        raise ValidationError(
            _("SVG is not well-formed XML: %(detail)s")
            % {
                "detail": _("line %(line)s, column %(column)s: %(reason)s")
                % {"line": line, "column": column + 1, "reason": reason}
            }
        ) from None
    if root.tag not in ("svg", f"{{{SVG_NAMESPACE}}}svg"):
        raise ValidationError(_("The root element of an SVG post must be <svg>, not <%(tag)s>.") % {"tag": root.tag})


MAX_HTML_BYTES = 64 * 1024
# Elements an HTML fragment may not have, each with the sentence that says why and what to do.
WHOLE_PAGE = gettext_lazy("<%(tag)s> belongs to a whole page: paste only what goes inside <body>.")
NOT_IN_HTML = {
    "script": gettext_lazy("<script> does not run in the HTML: put the code in the code field."),
    "html": WHOLE_PAGE,
    "head": WHOLE_PAGE,
    "body": WHOLE_PAGE,
    "title": WHOLE_PAGE,
    **dict.fromkeys(
        ["link", "meta", "base"],
        gettext_lazy("<%(tag)s> cannot be used here: nothing is loaded from elsewhere (use <style> for CSS)."),
    ),
    **dict.fromkeys(
        ["iframe", "frame", "frameset", "object", "embed", "applet", "portal"],
        gettext_lazy("<%(tag)s> cannot be used here: a post cannot embed other pages or plugins."),
    ),
}


class _HtmlChecker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        if tag in NOT_IN_HTML:
            self.problems.append((line, NOT_IN_HTML[tag] % {"tag": tag}))
        for name, value in attrs:
            if name.startswith("on"):
                message = _("the %(name)s= attribute does not run here: add the listener in the code.") % {"name": name}
                self.problems.append((line, message))
            elif value and value.strip().lower().startswith("javascript:"):
                self.problems.append((line, _("javascript: URLs do not run here: add a listener in the code.")))

    handle_startendtag = handle_starttag


def validate_html(html):
    """An HTML fragment for a sketch's page: elements and styles only, nothing that runs, loads or embeds."""
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise ValidationError(
            _("HTML is %(size)s bytes; the limit is %(limit)s bytes (64 KiB).")
            % {"size": size, "limit": MAX_HTML_BYTES},
            code="too_big",
        )
    checker = _HtmlChecker()
    checker.feed(html)
    checker.close()
    if checker.problems:
        raise ValidationError(
            [_("Line %(line)s: %(problem)s") % {"line": n, "problem": problem} for n, problem in checker.problems[:5]],
            code="forbidden",
        )
