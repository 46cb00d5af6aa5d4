from django import forms
from django.utils.translation import gettext_lazy as _

from posts.models import DEFAULT_CAPTURE_TIME, MAX_CAPTURE_TIME, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, RenderModel
from posts.serializers import PostCreateSerializer


class PostForm(forms.Form):
    """The upload form. The API's serializer does all the validating, so both give the same messages.

    The fields are plain `forms.Field`s, which check nothing themselves; the widgets' attributes
    (required, maxlength, min/max) only help the browser say so before the round trip.
    """

    title = forms.Field(
        label=_("Title"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": MAX_TITLE_LENGTH, "required": True, "autocomplete": "off"}),
    )
    description = forms.Field(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_DESCRIPTION_LENGTH}),
    )
    render_model = forms.Field(
        label=_("Render model"),
        required=False,
        initial=RenderModel.SHADER,
        widget=forms.Select(choices=RenderModel.choices),
    )
    code = forms.Field(
        label=_("Code"),
        required=False,
        help_text=_("SVG markup, JavaScript or a GLSL fragment shader; at most 256 KiB."),
        widget=forms.Textarea(
            attrs={"rows": 18, "required": True, "spellcheck": "false", "autocapitalize": "off", "class": "code"}
        ),
    )
    capture_time = forms.Field(
        label=_("Capture time (seconds)"),
        required=False,
        initial=DEFAULT_CAPTURE_TIME,
        help_text=_("Seconds of animation before the image is captured, unless the code calls capturePreview()."),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_CAPTURE_TIME, "step": "any"}),
    )

    def clean(self):
        data = self.data.copy()
        # Browsers send a textarea's line breaks as CRLF; store the code as it was typed.
        data["code"] = data.get("code", "").replace("\r\n", "\n")
        serializer = PostCreateSerializer(data=data)
        if serializer.is_valid():
            self.validated_data = serializer.validated_data
        else:
            for field, errors in serializer.errors.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, str(error))
        return self.cleaned_data
