"""French words of the HTML report (report.html.j2 and the html_* modules): English text -> French text
(see carehard.report.i18n). The words it shares with the Markdown report (statuses, families, levels,
exit codes, modes) are in labels_fr.

A key "where|text" is the text as written in one place only (html.py's in_): "none" is "aucune" as a
host limit, "aucun" elsewhere. French typography: a no-break space before ":" and a narrow one before
";" (they never start a line).
"""

from __future__ import annotations

NBSP, NNBSP = "\u00a0", "\u202f"
MINUS, TIMES = "\u2212", "\u00d7"

WORDS: dict[str, str] = {
    # Punctuation the page puts between a label and its value
    ":": f"{NBSP}:",
    "; ": f"{NNBSP}; ",
    # Header and run
    "carehard {mode} report": "Rapport carehard ({mode})",
    "carehard compliance report": "Rapport de conformité carehard",
    "Run": "Exécution",
    "run": "exécution",
    "host": "hôte",
    "hosts": "hôtes",
    "control": "contrôle",
    "controls": "contrôles",
    "level": "niveau",
    "Establishment": "Établissement",
    "not given": "non renseigné",
    "Site": "Site",
    "Author": "Auteur",
    "Contact": "Contact",
    "Run id": "Identifiant d'exécution",
    "Mode": "Mode",
    "(check mode, nothing changed)": "(mode vérification, aucune modification)",
    "(changes applied, then audited)": "(corrections appliquées, puis auditées)",
    "Started": "Début",
    "Finished": "Fin",
    "not finished": "non terminée",
    "Level": "Niveau",
    "carehard version": "Version de carehard",
    "Inventory": "Inventaire",
    "Host limit": "Limite d'hôtes",
    "host limit|none": "aucune",
    "Only controls": "Contrôles retenus",
    "all": "tous",
    "Skipped controls": "Contrôles exclus",
    "none": "aucun",
    "Exit code": "Code de sortie",
    "Report format": "Format du rapport",
    # Overall result
    "Overall result": "Résultat global",
    "compliance rate": "taux de conformité",
    f"(pass + fixed + waived) ÷ (all results {MINUS} not applicable), over": (
        f"(conformes + corrigés + dérogations) ÷ (tous les résultats {MINUS} non applicables), sur"
    ),
    "result": "résultat",
    "results": "résultats",
    "results by status": "résultats par statut",
    "unreachable host": "hôte injoignable",
    "unreachable hosts": "hôtes injoignables",
    "(nothing could be checked there):": f"(rien n'a pu y être vérifié){NBSP}:",
    "see the Hosts table.": "voir le tableau des hôtes.",
    # Trend
    "Trend": "Évolution",
    "Compliance rate per run": "Taux de conformité par exécution",
    ", oldest first, this run last (outlined). Hover a point for its date, mode and rate.": (
        ", de la plus ancienne à la plus récente, celle de ce rapport en dernier (cerclée). Survolez un"
        " point pour afficher sa date, son mode et son taux."
    ),
    "no result that counts": "aucun résultat comptabilisé",
    "The {n} runs": "Les {n} exécutions",
    "Rate": "Taux",
    " · this report": " · ce rapport",
    "run {run}": "exécution {run}",
    "from {first} on {first_day} to {last} on {last_day}": "de {first} le {first_day} à {last} le {last_day}",
    "{rate} on {day}, the only run with a rate": "{rate} le {day}, seule exécution avec un taux",
    "no run had a result that counts": "aucune exécution n'a de résultat comptabilisé",
    "Compliance rate of the last {n} runs, oldest first: {summary}.": (
        f"Taux de conformité des {{n}} dernières exécutions, de la plus ancienne à la plus récente{NBSP}:"
        " {summary}."
    ),
    "This run: {rate}.": f"Cette exécution{NBSP}: {{rate}}.",
    "{delta} points": f"{{delta}}{NBSP}points",
    "Unchanged": "Inchangé",
    " {change} since the run of {when}.": " {change} depuis l'exécution du {when}.",
    # CaRE domains
    "By CaRE domain": "Par domaine CaRE",
    "Domain": "Domaine",
    "Controls": "Contrôles",
    # Backups
    "Backup verifications": "Vérifications des sauvegardes",
    (
        "Per backup set, every verification in the history, newest first: the measured RPO (snapshot age)"
        " and RTO (full restore time estimated from the test restore)."
    ): (
        "Pour chaque jeu de sauvegarde, toutes les vérifications de l'historique, de la plus récente à la"
        f" plus ancienne{NBSP}: le RPO mesuré (âge de l'instantané) et le RTO (durée de restauration"
        " complète, estimée à partir de la restauration de test)."
    ),
    "{name}: {what} per verification, oldest first; the point's colour is the verdict.": (
        f"{{name}}{NBSP}: {{what}} par vérification, de la plus ancienne à la plus récente{NNBSP}; la"
        " couleur du point indique le verdict."
    ),
    "Verifications of {name}": "Vérifications de {name}",
    "Verdict": "Verdict",
    "Snapshot": "Instantané",
    "Age": "Âge",
    "Check": "Contrôle d'intégrité",
    "Test restore": "Restauration de test",
    "Throughput": "Débit",
    "Full restore": "Restauration complète",
    "ok": "réussi",
    "FAILED": "ÉCHEC",
    " (part {part})": " (partie {part})",
    "estimated full restore time (RTO)": "durée estimée de restauration complète (RTO)",
    "test restore time": "durée de la restauration de test",
    "full restore {full} (test restore {test})": "restauration complète {full} (restauration de test {test})",
    "test restore {test}": "restauration de test {test}",
    (
        "{what} of backup set {name} over its last {n} verifications, oldest first: from {first} on "
        "{first_day} to {last} on {last_day}."
    ): (
        "{what} du jeu de sauvegarde {name} sur ses {n} dernières vérifications, de la plus ancienne à la"
        f" plus récente{NBSP}: de {{first}} le {{first_day}} à {{last}} le {{last_day}}."
    ),
    # Inventory
    ": system and support, security updates, exposure, detection, administrators": (
        f"{NBSP}: système et support, mises à jour de sécurité, exposition, détection, administrateurs"
    ),
    (
        "Each host's newest fleet facts up to this run (the run that collected them is named), and what the"
        " newest exposure scan could reach from its vantage host. Red: unsupported system, exposed or"
        " reachable service not allowed, no detection agent, undeclared administrator, unencrypted disk."
    ): (
        "Pour chaque hôte, ses relevés d'inventaire les plus récents jusqu'à cette exécution (l'exécution qui"
        " les a collectés est indiquée), et ce que la dernière analyse d'exposition a pu joindre depuis sa"
        f" sonde. En rouge{NBSP}: système non maintenu, service exposé ou joignable non autorisé, absence"
        " d'agent de détection, administrateur non déclaré, disque non chiffré."
    ),
    "Host": "Hôte",
    "System": "Système",
    "Support": "Support éditeur",
    "Security updates": "Mises à jour de sécurité",
    "Exposed services": "Services exposés",
    "inventory|Reachable": "Ports joignables",
    "Detection": "Détection",
    "Administrators": "Administrateurs",
    "Disk encryption": "Chiffrement du disque",
    "Time sync": "Synchronisation de l'heure",
    "Collected": "Relevé le",
    "last update": "dernière mise à jour le",
    "from {vantage}:": f"depuis {{vantage}}{NBSP}:",
    "(undeclared)": "(non déclaré)",
    "supported": "maintenu",
    "ending": "fin de maintenance proche",
    "unsupported": "non maintenu",
    "unknown": "inconnu",
    "supported until {date}": "maintenu jusqu'au {date}",
    "ending until {date}": "fin de maintenance le {date}",
    "unsupported until {date}": "non maintenu depuis le {date}",
    "{status} until {date}": "{status} jusqu'au {date}",
    "{n} days left": f"encore {{n}}{NBSP}jours",
    "{n} day left": f"encore {{n}}{NBSP}jour",
    "ended {n} days ago": f"terminé depuis {{n}}{NBSP}jours",
    "ended {n} day ago": f"terminé depuis {{n}}{NBSP}jour",
    " on ": " sur ",
    " [allowed]": " [autorisé]",
    "yes": "oui",
    "no": "non",
    # Exposure map
    "Exposure map": "Carte d'exposition",
    "Ports probed from": "Ports sondés depuis",
    "at": "le",
    "port reachable that is not allowed": "port joignable non autorisé",
    "ports reachable that are not allowed": "ports joignables non autorisés",
    "no port reachable that is not allowed": "aucun port joignable non autorisé",
    "reachable": "joignable",
    "not allowed": "non autorisé",
    "allowed for the host's group": "autorisé pour le groupe de l'hôte",
    "allowed for its group": "autorisé pour son groupe",
    "closed": "fermé",
    "filtered": "filtré",
    "not probed": "non sondé",
    "not probed or unknown": "non sondé ou inconnu",
    "{label}: {why}": f"{{label}}{NBSP}: {{why}}",
    # Results: matrix, hosts, controls
    "Results": "Résultats",
    "Expand all": "Tout déplier",
    "Collapse all": "Tout replier",
    "Printing expands every section.": "L'impression déplie toutes les sections.",
    f"Hosts {TIMES} controls": f"Hôtes {TIMES} contrôles",
    "no result (control not run there)": "aucun résultat (contrôle non exécuté sur cet hôte)",
    "show only hosts with a failure, error or unreachable": (
        "n'afficher que les hôtes non conformes, en erreur ou injoignables"
    ),
    "UNREACHABLE · nothing checked": "INJOIGNABLE · rien n'a été vérifié",
    "no result": "aucun résultat",
    "unknown status": "statut inconnu",
    "Hosts": "Hôtes",
    "Address": "Adresse",
    "Reachable": "Joignable",
    "OS": "Système",
    "Version": "Version",
    "Kernel": "Noyau",
    "Virtualization": "Virtualisation",
    "Controls by family": "Contrôles par famille",
    "Severity": "Gravité",
    "Remediation": "Correction",
    "Platforms": "Plateformes",
    "ANSSI hygiene guide": "Guide d'hygiène de l'ANSSI",
    "measure": "mesure",
    "CIS benchmark": "Référentiel CIS",
    "section": "section",
    "CaRE domain": "Domaine CaRE",
    "Status": "Statut",
    "Evidence": "Preuve",
    "host could not be reached: nothing checked": f"hôte injoignable{NBSP}: rien n'a été vérifié",
    "no evidence recorded": "aucune preuve enregistrée",
    "No result recorded for this control.": "Aucun résultat enregistré pour ce contrôle.",
    # Host errors and footer
    "Host errors": "Erreurs des hôtes",
    "host with errors not tied to one control": "hôte avec des erreurs non liées à un contrôle",
    "hosts with errors not tied to one control": "hôtes avec des erreurs non liées à un contrôle",
    "No host-level error.": "Aucune erreur au niveau des hôtes.",
    "Generated by carehard": "Généré par carehard",
    "format": "format",
    "Statuses:": f"Statuts{NBSP}:",
}
