from django.contrib import admin
from django.urls import include, path

from parcours.web.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("parcours.logistics.urls")),
    path("", include("parcours.learning.urls")),
    path("", include("parcours.telemonitoring.urls")),
    path("", include("parcours.cures.urls")),
    path("", include("parcours.fasttrack.urls")),
    path("", include("parcours.web.urls")),
]
