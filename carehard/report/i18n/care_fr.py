"""French words of the CaRE document (carehard.report.care_document, its renderers and the terminal
tables, through carehard.report.care_words): English text -> French text (see carehard.report.i18n).

The keys are the document's English texts, sentence patterns with their placeholders included; a count
has a singular and a plural key ("{n} host", "{n} hosts"), French taking the singular for 0 and 1. The
document looks these words up first, then the words the run reports share: a key here may say a word
differently from another table ("compliant" is a control's state here, a status's meaning there),
without changing the run reports.

French typography: a no-break space (U+00A0) before a colon.
"""

from __future__ import annotations

NBSP = "\u00a0"

WORDS: dict[str, str] = {
    # The header
    "CaRE evidence": "Éléments de preuve CaRE",
    "Establishment": "Établissement",
    "FINESS": "FINESS",
    "Site": "Site",
    "Author": "Rédacteur",
    "Contact": "Contact",
    "Produced on": "Produit le",
    "Inventory": "Inventaire",
    "every inventory of the history": "tous les inventaires de l'historique",
    "Host platforms in these runs": "Plateformes des hôtes de ces exécutions",
    "none": "aucune",
    ": ": f"{NBSP}: ",
    "; ": "\u202f; ",
    (
        "Each control's state is that of the newest run in which a host reported it. A section's figures"
        " count only the controls that ran on at least one host; the controls these runs did not cover are"
        " listed apart, not counted as failures."
    ): (
        "L'état de chaque contrôle est celui de l'exécution la plus récente où un hôte l'a remonté. Les"
        " chiffres d'une section ne comptent que les contrôles exécutés sur au moins un hôte\u202f; les"
        " contrôles que ces exécutions ne couvrent pas sont listés à part, sans être comptés comme des"
        " non-conformités."
    ),
    "backup verification is not part of these runs: run carehard backup verify": (
        f"la vérification des sauvegardes ne fait pas partie de ces exécutions{NBSP}: lancez"
        " carehard backup verify"
    ),
    # The runs
    "Runs this document draws on": "Exécutions sur lesquelles repose ce document",
    "No run in the history yet.": "Aucune exécution dans l'historique pour l'instant.",
    "Run": "Exécution",
    "Mode": "Mode",
    "Started": "Début",
    "Hosts": "Hôtes",
    "Controls taken from it": "Contrôles qui en sont tirés",
    "audit": "audit",
    "harden": "durcissement",
    "backup": "vérification des sauvegardes",
    "canary": "fichier témoin",
    "facts": "inventaire",
    "exposure": "exposition",
    "vendor-open": "ouverture d'accès prestataire",
    "vendor-close": "fermeture d'accès prestataire",
    # The sections
    "CaRE domain: {title}": f"Domaine CaRE{NBSP}: {{title}}",
    "CaRE objective {id}: {label}": f"Objectif CaRE {{id}}{NBSP}: {{label}}",
    "CaRE objective {id}": "Objectif CaRE {id}",
    "D1 technical directories (Active Directory audit) and internet exposure": (
        "D1 annuaires techniques (audit Active Directory) et exposition sur internet"
    ),
    "D2 continuity and recovery strategy": "D2 stratégie de continuité et de reprise d'activité",
    "Remote access and remote maintenance": "Accès distants et télémaintenance",
    "Workstations and detection": "Postes de travail et détection",
    # A section's summary
    "Controls run (on at least one host)": "Contrôles exécutés (sur au moins un hôte)",
    "{n} of {total}": "{n} sur {total}",
    "Compliant on every host": "Conformes sur tous les hôtes",
    "Non-compliant on at least one host": "Non conformes sur au moins un hôte",
    "Incomplete (task error or host unreachable)": "Incomplets (tâche en erreur ou hôte injoignable)",
    "Not applicable on every host": "Non applicables sur tous les hôtes",
    "Host results compliant": "Résultats conformes sur les hôtes",
    "{rate} ({good} of {counted})": "{rate} ({good} sur {counted})",
    "No control of this section ran on any host of these runs.": (
        "Aucun contrôle de cette section n'a été exécuté sur un hôte de ces exécutions."
    ),
    "Not covered by these runs ({n}, not counted)": "Non couverts par ces exécutions ({n}, non comptés)",
    "no backup verification in these runs": "aucune vérification des sauvegardes dans ces exécutions",
    "Windows only, no Windows host in these runs": (
        "Windows uniquement, aucun hôte Windows dans ces exécutions"
    ),
    "Active Directory, no directory audited in these runs": (
        "Active Directory, aucun annuaire audité dans ces exécutions"
    ),
    "Linux only, no Linux host in these runs": "Linux uniquement, aucun hôte Linux dans ces exécutions",
    "reported by no host in these runs": "remontés par aucun hôte dans ces exécutions",
    # The controls
    "Control": "Contrôle",
    "Title": "Intitulé",
    "Severity": "Gravité",
    "State": "État",
    "Compliant hosts": "Hôtes conformes",
    "Non-compliant hosts": "Hôtes non conformes",
    "Other hosts": "Autres hôtes",
    "compliant": "conforme",
    "non-compliant": "non conforme",
    "incomplete": "incomplet",
    "not applicable": "non applicable",
    "not covered": "non couvert",
    "error": "erreur",
    "unreachable": "injoignable",
    "critical": "critique",
    "high": "élevée",
    "medium": "moyenne",
    "low": "faible",
    "{good} compliant, {bad} non-compliant, {other} other, of {hosts}": (
        "{good} conformes, {bad} non conformes, {other} autres, sur {hosts}"
    ),
    "{n} host": "{n} hôte",
    "{n} hosts": "{n} hôtes",
    # The restore tests
    "Last restore test per application": "Dernier test de restauration par application",
    "No restore test in these runs.": "Aucun test de restauration dans ces exécutions.",
    "Backup set (application)": "Jeu de sauvegarde (application)",
    "Tested on": "Testé le",
    "Verdict": "Verdict",
    "Snapshot": "Instantané",
    "Test restore": "Restauration de test",
    "Estimated full restore": "Restauration complète estimée",
    "RTO": "RTO",
    "Within RTO": "Dans le RTO",
    "passed": "réussi",
    "failed": "échoué",
    "yes": "oui",
    "no": "non",
    "unknown": "inconnu",
    "backup verification": "vérification des sauvegardes",
    "Estimated full restore {estimate} over the RTO {rto}": (
        "Restauration complète estimée à {estimate}, au-delà du RTO de {rto}"
    ),
    # D1's Active Directory audits (care_words.Words.directory_audits)
    "Active Directory {domain} audited on {when} (run {run})": (
        "Active Directory {domain} audité le {when} (exécution {run})"
    ),
    "AD controls compliant {passed}, non-compliant {failed}": (
        "contrôles AD conformes\u00a0: {passed}, non conformes\u00a0: {failed}"
    ),
    ", other {other}": ", autres\u00a0: {other}",
}
