from django.urls import URLPattern, URLResolver, path

from parcours.telemonitoring import views

app_name = "telemonitoring"

urlpatterns: list[URLPattern | URLResolver] = [
    path("questionnaire/<str:token>/", views.answer, name="answer"),
    path("telesurveillance/file/", views.queue, name="queue"),
    path("telesurveillance/patients/<uuid:patient_id>/", views.patient_page, name="patient"),
    path("telesurveillance/patients/<uuid:patient_id>/saisie/", views.proxy_entry, name="proxy"),
    path("telesurveillance/patients/<uuid:patient_id>/reglages/", views.plan_set, name="plan"),
    path("telesurveillance/patients/<uuid:patient_id>/lien/", views.send_link, name="send_link"),
    path(
        "telesurveillance/alertes/<uuid:alert_id>/prise-en-charge/", views.alert_acknowledge, name="alert_ack"
    ),
    path("telesurveillance/alertes/<uuid:alert_id>/action/", views.alert_action, name="alert_action"),
    path("telesurveillance/alertes/<uuid:alert_id>/cloture/", views.alert_close, name="alert_close"),
    path("telesurveillance/suspensions/<uuid:hold_id>/avis/", views.hold_review, name="hold_review"),
    path("telesurveillance/taches/<uuid:task_id>/fait/", views.task_done, name="task_done"),
    path(
        "telesurveillance/fhir/Questionnaire/<str:code>", views.fhir_questionnaire, name="fhir_questionnaire"
    ),
]
