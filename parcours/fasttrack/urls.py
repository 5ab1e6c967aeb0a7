from django.urls import URLPattern, URLResolver, path

from parcours.fasttrack import views

app_name = "fasttrack"

urlpatterns: list[URLPattern | URLResolver] = [
    # Public single entry point (no login)
    path("orientation/", views.orientation, name="orientation"),
    path("orientation/<str:pathway>/", views.referral_form, name="referral_form"),
    path("orientation/<str:pathway>/completude/", views.referral_check, name="referral_check"),
    path("orientation/<str:pathway>/envoyee/", views.referral_sent, name="referral_sent"),
    # Coordinator
    path("parcours-rapide/", views.queue, name="queue"),
    path("parcours-rapide/demandes/<uuid:referral_id>/", views.referral_detail, name="referral"),
    path(
        "parcours-rapide/demandes/<uuid:referral_id>/<str:action>/", views.referral_act, name="referral_act"
    ),
    path(
        "parcours-rapide/demandes/<uuid:referral_id>/pdf/<str:kind>/", views.referral_pdf, name="referral_pdf"
    ),
    path("parcours-rapide/documents/<uuid:document_id>/", views.document, name="document"),
    path("parcours-rapide/taches/<uuid:task_id>/terminer/", views.task_done, name="task_done"),
    # Resources and slots
    path("parcours-rapide/disponibilites/", views.availability, name="availability"),
    path("parcours-rapide/ressources/ajouter/", views.resource_add, name="resource_add"),
    path(
        "parcours-rapide/ressources/<uuid:resource_id>/liberation/",
        views.resource_release_hours,
        name="resource_release",
    ),
    path("parcours-rapide/creneaux/ajouter/", views.slots_add, name="slots_add"),
    # RCP
    path("parcours-rapide/rcp/", views.rcp_list, name="rcp"),
    path("parcours-rapide/rcp/<uuid:case_id>/<str:action>/", views.rcp_act, name="rcp_act"),
    # Indicators
    path("parcours-rapide/indicateurs/", views.indicators, name="indicators"),
    path("parcours-rapide/indicateurs.<str:fmt>", views.indicators_export, name="indicators_export"),
]
