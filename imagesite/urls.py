from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from posts.images.views import image_file
from posts.metrics import metrics

admin.site.site_header = _("imagesite administration")
admin.site.site_title = _("imagesite admin")
admin.site.index_title = _("Posts, images and capture jobs")
# Three models need no sidebar of links on every page; without it the job list fits a laptop's window.
admin.site.enable_nav_sidebar = False

# Accounts: log in and out, and change a password. No password reset: the site sends no mail.
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page needs no inline script.
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("posts.api.urls")),
    path("metrics", metrics, name="metrics"),
    path("", include("posts.urls")),
]
if settings.IMAGE_FILES_URL.startswith("/"):
    # The files backend's objects, for `make run` and a bare gunicorn; a front server answers these first.
    urlpatterns.insert(0, path(f"{settings.IMAGE_FILES_URL[1:]}<str:name>", image_file, name="image-file"))
