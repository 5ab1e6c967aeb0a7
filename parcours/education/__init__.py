"""Patient education (ETP) and professional training — issue 6.

Today this package is the **pure core** (stdlib only, no Django, no other ``parcours`` app; ``mypy --strict``):

* :mod:`~parcours.education.programme` — ETP programmes as versioned data (``data/programmes/*.json``) with
  their French Markdown modules (``data/modules/*.md``) and quizzes;
* :mod:`~parcours.education.sequencing` — which modules a patient may follow now, and why the others are locked;
* :mod:`~parcours.education.quiz` — quiz scoring with topics to revisit;
* :mod:`~parcours.education.readiness` — readiness for home care, support plan, pathway facts;
* :mod:`~parcours.education.training` — professional training catalogue, qualifications and act assignment.

See ``docs/subsystems/education.md``.
"""
