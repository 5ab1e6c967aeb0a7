"""ETP module texts: French Markdown, one file per module version (``<module_id>.v<N>.md``), referenced by the
``file`` field of a programme's modules. A published file is never edited in place (patients pinned to an older
programme version keep reading it); write ``<module_id>.v<N+1>.md`` instead.
"""
