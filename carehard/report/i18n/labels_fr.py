"""French words shared by the human-readable reports (HTML and Markdown): every value of
carehard.report.labels (statuses and their matrix codes and meanings, families, CaRE domains, levels,
exit codes), the severities, remediations and run modes of the catalog and the runs, and the line on
the patterns of labels.parts_summary() (the parts of a backup set that restic check has read).

English text -> French text (see carehard.report.i18n). PLURALS gives the plural of a French status
label ("3 non conformes"): English writes "3 fail" as "1 fail".
"""

from __future__ import annotations

WORDS: dict[str, str] = {
    # labels.STATUS_LABELS
    "pass": "conforme",
    "fixed": "corrigé",
    "waived": "dérogation",
    "fail": "non conforme",
    "error": "erreur",
    "unreachable": "injoignable",
    "not applicable": "non applicable",
    # labels.STATUS_CODES (a matrix cell; the legend gives the label)
    "P": "C",
    "Fx": "Co",
    "W": "D",
    "F": "NC",
    "E": "E",
    "U": "I",
    "na": "na",
    # labels.STATUS_MEANINGS
    "compliant": "exigence respectée",
    "changed by harden, now compliant": "modifié par le durcissement, désormais conforme",
    "not compliant, covered by a valid waiver": (
        "non conforme, couvert par une dérogation en cours de validité"
    ),
    "not compliant (or fix applied but not effective)": (
        "non conforme (ou correction appliquée mais sans effet)"
    ),
    "a task broke: compliance unknown": "une tâche a échoué\u00a0: conformité inconnue",
    "host could not be reached": "l'hôte n'a pas pu être joint",
    "premise absent on this host": "objet du contrôle absent sur cet hôte",
    # labels.FAMILY_LABELS, and family_label() of the other families
    "Linux workstations": "Postes de travail Linux",
    "Windows workstations": "Postes de travail Windows",
    "Remote access and remote maintenance": "Accès distants et télémaintenance",
    "Backups and restore tests": "Sauvegardes et tests de restauration",
    "Compliance facts": "Relevés de conformité (inventaire et détection)",
    "Exposure scan": "Analyse de l'exposition réseau",
    "Active Directory": "Annuaire Active Directory",
    # labels.CARE_LABELS (the domains of the CaRE programme)
    "D1 Directories and internet exposure": "D1 Annuaires et exposition sur internet",
    "D2 Continuity and recovery": "D2 Continuité et reprise d'activité",
    "Remote access / remote maintenance": "Accès distants / télémaintenance",
    "Workstations and detection": "Postes de travail et détection",
    # labels.LEVEL_LABELS
    "minimal": "minimal",
    "intermediary": "intermédiaire",
    "enhanced": "renforcé",
    # labels.EXIT_CODES
    "all controls pass, fixed, waived or not applicable": (
        "tous les contrôles sont conformes, corrigés, sous dérogation ou non applicables"
    ),
    "some control failed": "au moins un contrôle est non conforme",
    "usage or configuration error": "erreur d'utilisation ou de configuration",
    "a host was unreachable or a task errored": "un hôte était injoignable ou une tâche a échoué",
    # The severities and remediations of the catalog's controls
    "critical": "critique",
    "high": "élevée",
    "medium": "moyenne",
    "low": "faible",
    "automatic": "automatique",
    "audit-only": "audit uniquement",
    # The modes of a run
    "audit": "audit",
    "harden": "durcissement",
    "backup": "sauvegarde",
    "facts": "inventaire",
    "exposure": "exposition",
    # labels.parts_summary(), as sentence patterns
    "{set}: every data pack read once in {cycle} nights;": (
        "{set}\u00a0: chaque pack de données est lu une fois en {cycle}\u00a0nuits\u202f;"
    ),
    "{read} of {cycle} parts read": "{read} parties lues sur {cycle}",
    "{read} of {cycle} part read": "{read} partie lue sur {cycle}",
    ", the longest ago {part} on {at}": ", la plus ancienne {part} le {at}",
    "; never read yet: {parts}": "\u202f; jamais lues à ce jour\u00a0: {parts}",
    "; never read yet: {parts} and 1 more": "\u202f; jamais lues à ce jour\u00a0: {parts} et 1 autre",
    "; never read yet: {parts} and {more} more": (
        "\u202f; jamais lues à ce jour\u00a0: {parts} et {more} autres"
    ),
}

# The plural of a French status label, for counts above one ("2 non conformes").
PLURALS: dict[str, str] = {
    "conforme": "conformes",
    "corrigé": "corrigés",
    "dérogation": "dérogations",
    "non conforme": "non conformes",
    "erreur": "erreurs",
    "injoignable": "injoignables",
    "non applicable": "non applicables",
}


def plural(french: str, count: int) -> str:
    """The French status label agreed with a count: 0 and 1 take the singular, as in French."""
    return PLURALS.get(french, french) if count > 1 else french
