from django.urls import URLPattern, URLResolver, path

from parcours.cures import views

app_name = "cures"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cures/aujourdhui/", views.today, name="today"),
    path("cures/patients/<uuid:patient_id>/", views.patient_cures, name="patient"),
    path("cures/patients/<uuid:patient_id>/prescrire/", views.prescribe, name="prescribe"),
    path("cures/protocoles/<uuid:plan_id>/", views.plan, name="plan"),
    path("cures/syntheses/", views.syntheses, name="syntheses"),
    path(
        "cures/syntheses/calcul/<uuid:run_id>/progression/",
        views.synthesis_progress,
        name="synthesis_progress",
    ),
    path("cures/syntheses/<uuid:synthesis_id>/pdf/", views.synthesis_pdf, name="synthesis_pdf"),
    path("cures/<uuid:cure_id>/", views.cure_page, name="cure"),
    path("cures/<uuid:cure_id>/administration/", views.administer, name="administer"),
    path("cures/<uuid:cure_id>/<slug:action>/", views.cure_action, name="action"),
]
