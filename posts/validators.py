"""The rules a post's fields must meet. They sit on the model's fields (and Post.clean), so the
API's serializer, the upload form and the preview all apply the same ones."""

import math

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
        raise ValidationError(_("SVG is not well-formed XML: %(error)s.") % {"error": exc}) from None
    if root.tag not in ("svg", f"{{{SVG_NAMESPACE}}}svg"):
        raise ValidationError(_("The root element of an SVG post must be <svg>, not <%(tag)s>.") % {"tag": root.tag})
