"""Checks on posted code that go beyond field lengths."""

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posts.models import MAX_CODE_BYTES

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def validate_code_size(code):
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ValidationError(
            _("Code is %(size)s bytes; the limit is %(limit)s bytes (256 KiB).")
            % {"size": size, "limit": MAX_CODE_BYTES}
        )


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
