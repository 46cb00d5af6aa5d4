from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from posts.models import (
    DEFAULT_CAPTURE_TIME,
    MAX_ANIM_DURATION,
    MAX_ANIM_START,
    MAX_CAPTURE_TIME,
    MIN_ANIM_DURATION,
    PAGE_MODELS,
    Post,
    RenderModel,
)


class PostForm(forms.ModelForm):
    """The upload form; the rules are the model's (field validators and Post.clean), as for the API."""

    # Not stripped: code keeps its whitespace, as the API keeps it.
    code = forms.CharField(
        label=_("Code"),
        strip=False,
        help_text=_("SVG markup, JavaScript or a GLSL fragment shader; at most 256 KiB."),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "autocapitalize": "off", "class": "code"}),
    )

    # Not stripped either; optional (canvas and three.js posts only: the form's script hides it for the others).
    html = forms.CharField(
        label=_("HTML (optional)"),
        required=False,
        strip=False,
        help_text=Post._meta.get_field("html").help_text,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "spellcheck": "false",
                "autocapitalize": "off",
                "class": "code",
                "data-models": " ".join(sorted(PAGE_MODELS)),
            }
        ),
    )

    class Meta:
        model = Post
        fields = ["title", "description", "render_model", "capture_time", "anim_start", "anim_duration", "code", "html"]
        labels = {
            "capture_time": _("Capture time (seconds)"),
            "anim_start": _("Animation start (seconds)"),
            "anim_duration": _("Animation length (seconds)"),
        }
        help_texts = {
            "capture_time": _(
                "Seconds of animation before the image is captured, unless the code calls capturePreview()."
            ),
            "anim_start": _("Where the animated preview's loop starts, in seconds of the post's time."),
            "anim_duration": _("How long its loop is, in seconds; blank for the site's default."),
        }
        widgets = {
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "capture_time": forms.NumberInput(attrs={"min": 0, "max": MAX_CAPTURE_TIME, "step": "any"}),
            "anim_start": forms.NumberInput(attrs={"min": 0, "max": MAX_ANIM_START, "step": "any"}),
            "anim_duration": forms.NumberInput(
                attrs={"min": MIN_ANIM_DURATION, "max": MAX_ANIM_DURATION, "step": "any"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "render_model" in self.fields:
            self.fields["render_model"].choices = RenderModel.choices
            # Canvas 2D: plain JavaScript, the model most sketches are written for.
            self.fields["render_model"].initial = RenderModel.CANVAS

    def clean_code(self):
        # Browsers send a textarea's line breaks as CRLF; store the code as it was typed.
        return self.cleaned_data["code"].replace("\r\n", "\n")

    def clean_html(self):
        return self.cleaned_data["html"].replace("\r\n", "\n")

    def clean_capture_time(self):
        value = self.cleaned_data["capture_time"]
        return DEFAULT_CAPTURE_TIME if value is None else value

    def clean_anim_start(self):
        value = self.cleaned_data["anim_start"]
        return 0 if value is None else value


class PostEditForm(PostForm):
    """The author's edit form: the upload form's rules, without the render model (which stays)."""

    class Meta(PostForm.Meta):
        fields = ["title", "description", "capture_time", "anim_start", "anim_duration", "code", "html"]


STARTERS_DIR = Path(__file__).resolve().parent / "starters"


def starter_sketches():
    """Each render model's starter sketch (posts/starters/<model>.*), which the form's editor puts in an empty box."""
    starters = {}
    for path in sorted(STARTERS_DIR.iterdir()):
        if path.stem in RenderModel.values:
            starters[path.stem] = path.read_text(encoding="utf-8")
    return starters
