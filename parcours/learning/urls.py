from django.urls import URLPattern, URLResolver, path

from parcours.learning import views

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = [
    path("patients/<str:patient_id>/education/", views.patient_education, name="patient"),
    path("patients/<str:patient_id>/education/commencer/", views.enrol, name="enrol"),
    path("patients/<str:patient_id>/education/lien/", views.link_issue, name="link_issue"),
    path("patients/<str:patient_id>/education/seance/", views.session_add, name="session_add"),
    path("patients/<str:patient_id>/education/domicile/", views.home_add, name="home_add"),
    path("patients/<str:patient_id>/education/preparation/", views.readiness_add, name="readiness_add"),
    path("patients/<str:patient_id>/education/affectation/", views.assignment_add, name="assignment_add"),
    path(
        "patients/<str:patient_id>/education/modules/<str:module_id>/suivi/",
        views.module_done,
        name="module_done",
    ),
    path("etp/<str:token>/", views.etp_home, name="etp_home"),
    path("etp/<str:token>/modules/<str:module_id>/", views.etp_module, name="etp_module"),
    path("etp/<str:token>/modules/<str:module_id>/quiz/", views.etp_quiz, name="etp_quiz"),
    path("etp/<str:token>/modules/<str:module_id>/fiche.pdf", views.etp_module_pdf, name="etp_module_pdf"),
    path("etp/<str:token>/resultats/<uuid:attempt_id>/", views.etp_result, name="etp_result"),
    path("education/programmes/", views.programmes, name="programmes"),
    path("education/programmes/nouvelle-version/", views.programme_draft, name="programme_draft"),
    path("education/programmes/<uuid:version_id>/", views.programme_detail, name="programme"),
    path(
        "education/programmes/<uuid:version_id>/modules/", views.programme_modules, name="programme_modules"
    ),
    path(
        "education/programmes/<uuid:version_id>/publier/", views.programme_publish, name="programme_publish"
    ),
    path(
        "education/programmes/<uuid:version_id>/modules/<str:module_id>/",
        views.programme_module_edit,
        name="module_edit",
    ),
    path(
        "education/programmes/<uuid:version_id>/modules/<str:module_id>/fiche.pdf",
        views.module_pdf,
        name="module_pdf",
    ),
    path("formation/", views.training, name="training"),
    path("formation/certificats/", views.training_record, name="training_record"),
    path("formation/sessions/", views.training_session, name="training_session"),
    path("formation/lieux/", views.training_profile, name="training_profile"),
    path("education/indicateurs/", views.indicators, name="indicators"),
]
