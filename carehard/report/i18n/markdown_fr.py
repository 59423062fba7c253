"""French words of the Markdown summary (carehard.report.markdown): English text -> French text (see
carehard.report.i18n).

The keys are the summary's English sentence patterns, placeholders included, so that a French
sentence can order its words and numbers its own way; a count has two keys, the singular and the
plural pattern ("{n} host", "{n} hosts"), and French takes the singular for 0 and 1. A French pattern
may use a placeholder its English one has not (the agreed status label "{unreachable}"). The words of
carehard.report.labels (statuses, levels, exit codes) are in labels_fr.

French typography: a no-break space (U+00A0) before a colon and inside a duration ("4,5 h").
"""

from __future__ import annotations

WORDS: dict[str, str] = {
    # The header
    "# carehard {mode} — run {id} — {started} → {finished}": (
        "# carehard {mode} — exécution {id} — {started} → {finished}"
    ),
    "not finished": "non terminée",
    "level {level} ({label})": "niveau {level} ({label})",
    "inventory {path}": "inventaire {path}",
    "exit code {code}: {meaning}": "code de sortie {code}\u00a0: {meaning}",
    # The establishment (markdown.WHO)
    "FINESS {value}": "FINESS {value}",
    "site {value}": "site {value}",
    "author {value}": "auteur {value}",
    "contact {value}": "contact {value}",
    # The summary
    "**Compliance: {rate}** (pass + fixed + waived, over every result but not applicable)": (
        "**Conformité\u00a0: {rate}** (conformes + corrigés + dérogations, sur l'ensemble des résultats"
        " hors non applicables)"
    ),
    "Results: {counts}": "Résultats\u00a0: {counts}",
    "{hosts} ({down} unreachable), {controls}": "{hosts} (dont {down} {unreachable}), {controls}",
    "{n} host": "{n} hôte",
    "{n} hosts": "{n} hôtes",
    "{n} control": "{n} contrôle",
    "{n} controls": "{n} contrôles",
    # The hosts table
    "## Hosts": "## Hôtes",
    "## Hosts ({shown} of {total}, most problems first)": (
        "## Hôtes (les {shown} sur {total} présentant le plus d'anomalies)"
    ),
    "| host | compliance | pass | fixed | waived | fail | error | unreach. | n/a |": (
        "| hôte | conformité | conformes | corrigés | dérogations | non conformes | erreurs"
        " | injoign. | n.a. |"
    ),
    "{name} (unreachable)": "{name} (injoignable)",
    "… and {more} ({troubled} with problems)": "… et {more} (dont {troubled} avec des anomalies)",
    "{n} more host": "{n} autre hôte",
    "{n} more hosts": "{n} autres hôtes",
    # The problems
    "## Problems": "## Anomalies",
    "None: every result is pass, fixed, waived or not applicable.": (
        "Aucune\u00a0: tous les résultats sont conformes, corrigés, sous dérogation ou non applicables."
    ),
    "host error": "erreur sur l'hôte",
    "{n} control not checked": "{n} contrôle non vérifié",
    "{n} controls not checked": "{n} contrôles non vérifiés",
    "… and {n} more": "… et {n} autres",
    # The backups
    "## Backups (latest verification of each set)": "## Sauvegardes (dernière vérification de chaque jeu)",
    "| set | checked | verdict | snapshot age | test restore | full restore estimate | vs RTO |": (
        "| jeu | vérifié le | verdict | âge de l'instantané | restauration de test"
        " | restauration complète estimée | par rapport au RTO |"
    ),
    "within RTO {target}": "respecte le RTO ({target})",
    "beyond RTO {target}": "dépasse le RTO ({target})",
    "within RTO": "respecte le RTO",
    "beyond RTO": "dépasse le RTO",
    "RTO {target}: {status}": "RTO ({target})\u00a0: {status}",
    "RTO: {status}": "RTO\u00a0: {status}",
    "… and {more}": "… et {more}",
    "{n} more set": "{n} autre jeu",
    "{n} more sets": "{n} autres jeux",
    "Problems by severity: {counts}": "Problèmes par gravité\u00a0: {counts}",
}
