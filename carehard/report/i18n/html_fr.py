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
    # Priorities: problems by severity, the filter bar, what to fix first (html_results.priority_view)
    "Problems by severity": "Problèmes par gravité",
    "(fail, error and unreachable results of the controls that ran)": (
        "(résultats non conformes, en erreur ou injoignables des contrôles exécutés)"
    ),
    "on {n} control": "sur {n} contrôle",
    "on {n} controls": "sur {n} contrôles",
    "no problem": "aucun problème",
    "Filter the controls": "Filtrer les contrôles",
    "Search": "Rechercher",
    "ID, title, host, evidence": "identifiant, titre, hôte, preuve",
    "all statuses": "tous les statuts",
    "fail, error or unreachable": "non conforme, erreur ou injoignable",
    "all severities": "toutes les gravités",
    "Family": "Famille",
    "all families": "toutes les familles",
    "all hosts": "tous les hôtes",
    "Reset": "Réinitialiser",
    "{shown} of {total} controls shown; printing shows them all.": (
        f"{{shown}} contrôles affichés sur {{total}}{NNBSP}; l'impression les montre tous."
    ),
    "What to fix first": "À corriger en priorité",
    (
        "The controls that failed or errored on at least one host, the most severe first, then those failing"
        " on the most hosts; each with its evidence and its fix: what carehard harden changes, or the step"
        " to take by hand for an audit-only control."
    ): (
        "Les contrôles non conformes ou en erreur sur au moins un hôte, les plus graves d'abord, puis ceux"
        f" qui échouent sur le plus d'hôtes{NNBSP}; chacun avec sa preuve et sa correction{NBSP}: ce que"
        " modifie le durcissement, ou l'opération à mener à la main pour un contrôle en audit seul."
    ),
    "see the control": "voir le contrôle",
    "and {n} more host": "et {n} autre hôte",
    "and {n} more hosts": "et {n} autres hôtes",
    "and {n} other distinct result": "et {n} autre résultat distinct",
    "and {n} other distinct results": "et {n} autres résultats distincts",
    "How to fix": "Pour corriger",
    "no fix text in this report": "aucune correction indiquée dans ce rapport",
    "References": "Références",
    "No control failed or errored: nothing to fix.": (
        f"Aucun contrôle non conforme ni en erreur{NBSP}: rien à corriger."
    ),
    "Not listed: {n} control whose only problem is an unreachable host.": (
        f"Non listé{NBSP}: {{n}} contrôle dont le seul problème est un hôte injoignable."
    ),
    "Not listed: {n} controls whose only problem is an unreachable host.": (
        f"Non listés{NBSP}: {{n}} contrôles dont le seul problème est un hôte injoignable."
    ),
    # References (html_results.reference_links): the link's text, and its title naming the document
    "measure {ref}": "mesure {ref}",
    "section {ref}": "section {ref}",
    "ANSSI hygiene guide, measure {ref}": "Guide d'hygiène informatique de l'ANSSI, mesure {ref}",
    "ANSSI BP-028 (GNU/Linux), recommendation {ref}": "ANSSI BP-028 (GNU/Linux), recommandation {ref}",
    "CIS {name} benchmark, section {ref}": "Référentiel CIS {name}, section {ref}",
    "ANSSI Active Directory checkpoint {ref}": "Point de contrôle Active Directory de l'ANSSI {ref}",
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
    "Backup verification is not part of this run: run carehard backup verify to test the backups and their"
    " restores.": (
        f"La vérification des sauvegardes ne fait pas partie de cette exécution{NBSP}: lancer carehard"
        " backup verify pour tester les sauvegardes et leur restauration."
    ),
    "None of its controls ran on a host.": "Aucun de ses contrôles n'a été exécuté sur un hôte.",
    "The row {domain} counts only the other controls of the domain that ran.": (
        "La ligne {domain} ne compte que les autres contrôles du domaine qui ont été exécutés."
    ),
    "A domain counts only its controls that ran on at least one host.": (
        "Un domaine ne compte que ses contrôles exécutés sur au moins un hôte."
    ),
    (
        "{n} control of the report ran on no host (a Windows control in a run of Linux hosts, for example):"
        " it is left out."
    ): (
        "{n} contrôle du rapport n'a été exécuté sur aucun hôte (par exemple un contrôle Windows dans une"
        f" exécution sur des hôtes Linux){NBSP}: il n'est pas compté."
    ),
    (
        "{n} controls of the report ran on no host (Windows controls in a run of Linux hosts, for example):"
        " they are left out."
    ): (
        "{n} contrôles du rapport n'ont été exécutés sur aucun hôte (par exemple des contrôles Windows dans"
        f" une exécution sur des hôtes Linux){NBSP}: ils ne sont pas comptés."
    ),
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
    "{family}, part {n} of {total}": "{family}, partie {n} sur {total}",
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
    "ANSSI AD checklist": "Points de contrôle AD de l'ANSSI",
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
