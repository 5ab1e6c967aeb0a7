from django.urls import URLPattern, URLResolver

app_name = "cures"

urlpatterns: list[URLPattern | URLResolver] = []
