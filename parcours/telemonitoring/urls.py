from django.urls import URLPattern, URLResolver

app_name = "telemonitoring"

urlpatterns: list[URLPattern | URLResolver] = []
