from django.urls import URLPattern, URLResolver

app_name = "fasttrack"

urlpatterns: list[URLPattern | URLResolver] = []
