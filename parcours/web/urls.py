from django.contrib.auth.views import LogoutView
from django.urls import path

from parcours.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", LogoutView.as_view(), name="logout"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/nouveau/", views.patient_create, name="patient_create"),
    path("patients/<str:patient_id>/", views.patient_detail, name="patient"),
    path("patients/<str:patient_id>/modifier/", views.patient_edit, name="patient_edit"),
    path("patients/<str:patient_id>/chronologie/", views.patient_timeline, name="patient_timeline"),
    path("patients/<str:patient_id>/export.json", views.patient_export, name="patient_export"),
    path("patients/<str:patient_id>/parcours/<str:key>/demarrer/", views.pathway_start, name="pathway_start"),
    path(
        "patients/<str:patient_id>/parcours/<str:key>/transition/<str:transition_id>/",
        views.pathway_transition,
        name="pathway_transition",
    ),
    path(
        "patients/<str:patient_id>/admission/<str:step_id>/", views.checklist_toggle, name="checklist_toggle"
    ),
    path("patients/<str:patient_id>/consentements/", views.consent_add, name="consent_add"),
    path("patients/<str:patient_id>/eligibilite/", views.eligibility_assess, name="eligibility"),
    path("patients/<str:patient_id>/had/", views.had_request, name="had_request"),
    path("patients/<str:patient_id>/had/<str:request_id>/decision/", views.had_decide, name="had_decide"),
    path("patients/<str:patient_id>/aidants/", views.caregiver_add, name="caregiver_add"),
    path("patients/<str:patient_id>/equipe/", views.careteam_add, name="careteam_add"),
    path("patients/<str:patient_id>/equipe/formulaire/", views.careteam_form, name="careteam_form"),
    path(
        "patients/<str:patient_id>/equipe/<str:membership_id>/retirer/",
        views.careteam_remove,
        name="careteam_remove",
    ),
    path("journal/", views.audit_log, name="audit"),
]
