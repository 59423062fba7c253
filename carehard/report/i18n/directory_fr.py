"""French words of the reports' Directory section (carehard.report.html_directory, its template
templates/directory.html.j2, and the Directory section of carehard.report.markdown): English text ->
French text (see carehard.report.i18n). A count has two keys, singular and plural; French takes the
singular for 0 and 1. A no-break space (U+00A0) before a colon.
"""

from __future__ import annotations

NBSP = "\u00a0"

WORDS: dict[str, str] = {
    # The section (HTML)
    "Directory": "Annuaire",
    "inventory host": "hôte de l'inventaire",
    "Domain controller read": "Contrôleur de domaine lu",
    "Connection": "Connexion",
    "Read at": "Lu le",
    "Functional level": "Niveau fonctionnel",
    "AD controls on this directory": "Contrôles AD de cet annuaire",
    "No AD control result for this directory in this run.": (
        "Aucun résultat de contrôle AD pour cet annuaire dans cette exécution."
    ),
    "What was read": "Ce qui a été lu",
    "Value": "Valeur",
    "Risky flags of the privileged accounts": "Indicateurs de risque des comptes à privilèges",
    "Risky flag": "Indicateur de risque",
    "Risky flags": "Indicateurs de risque",
    "Flags counted among the {n} privileged accounts the audit lists.": (
        "Indicateurs comptés parmi les {n} comptes à privilèges que l'audit liste."
    ),
    "{shown} of {total}, the riskiest first": "{shown} sur {total}, les plus à risque d'abord",
    "none listed": "aucun listé",
    "Account": "Compte",
    "Accounts": "Comptes",
    "Privileged groups": "Groupes à privilèges",
    "Last logon": "Dernière connexion",
    "disabled": "désactivé",
    "and {n} more privileged account": "et {n} autre compte à privilèges",
    "and {n} more privileged accounts": "et {n} autres comptes à privilèges",
    "(the JSON report lists {n})": "(le rapport JSON en liste {n})",
    # What was read
    "Users": "Utilisateurs",
    "Computers": "Ordinateurs",
    "Groups": "Groupes",
    "Domain controllers": "Contrôleurs de domaine",
    "krbtgt password": "Mot de passe krbtgt",
    "Privileged accounts": "Comptes à privilèges",
    "Password policy": "Politique de mots de passe",
    "Account lockout": "Verrouillage des comptes",
    "LAPS schema": "Schéma LAPS",
    "LAPS coverage": "Couverture LAPS",
    "{enabled} enabled of {total}": "{enabled} actifs sur {total}",
    "{n} day old": "âgé de {n} jour",
    "{n} days old": "âgé de {n} jours",
    "(changed {date})": "(changé le {date})",
    "at least {n} character": "au moins {n} caractère",
    "at least {n} characters": "au moins {n} caractères",
    "complexity required": "complexité exigée",
    "no complexity": "sans complexité",
    "history of {n}": "historique de {n}",
    "never expires": "n'expire jamais",
    "expires after {n} day": "expire après {n} jour",
    "expires after {n} days": "expire après {n} jours",
    "never (no lockout threshold)": "jamais (aucun seuil de verrouillage)",
    "after {n} failed attempt": "après {n} échec",
    "after {n} failed attempts": "après {n} échecs",
    "for {n} min": f"pendant {{n}}{NBSP}min",
    "until unlocked": "jusqu'au déverrouillage",
    "legacy LAPS": "LAPS historique",
    "absent": "absent",
    "{covered} of {computers} computers ({rate})": "{covered} ordinateurs sur {computers} ({rate})",
    "never": "jamais",
    "user": "utilisateur",
    "computer": "ordinateur",
    "foreign principal": "principal externe",
    # The flags
    "no password required": "mot de passe facultatif",
    "no pre-auth": "sans pré-auth.",
    "reversible": "réversible",
    "stale": "inactif",
    "not sensitive": "non sensible",
    "not in Protected Users": "hors Protected Users",
    "the account may have an empty password (PASSWD_NOTREQD)": (
        "le compte peut avoir un mot de passe vide (PASSWD_NOTREQD)"
    ),
    "Kerberos pre-authentication not required: its hash can be requested (AS-REP roasting)": (
        f"pré-authentification Kerberos non requise{NBSP}: son empreinte peut être demandée (AS-REP roasting)"
    ),
    "password stored with reversible encryption": "mot de passe stocké avec un chiffrement réversible",
    "has a service principal name: its ticket can be cracked offline (kerberoasting)": (
        f"a un nom de principal de service{NBSP}: son ticket peut être cassé hors ligne (kerberoasting)"
    ),
    "limited to DES Kerberos keys": "limité aux clés Kerberos DES",
    "password never expires": "le mot de passe n'expire jamais",
    "no logon for longer than the stale threshold": (
        "aucune connexion depuis plus longtemps que le seuil d'inactivité"
    ),
    "not marked sensitive, cannot be delegated": (
        "non marqué «\u00a0sensible, ne peut pas être délégué\u00a0»"
    ),
    "not a member of Protected Users": "n'est pas membre de Protected Users",
    # The Markdown summary
    "## Directory: {domain}": f"## Annuaire{NBSP}: {{domain}}",
    "Read {when} from {server} ({auth})": "Lu le {when} sur {server} ({auth})",
    "AD controls: {counts}": f"Contrôles AD{NBSP}: {{counts}}",
    "failing: {ids}": f"en échec{NBSP}: {{ids}}",
    "krbtgt password {age}": "mot de passe krbtgt {age}",
    "password policy: {policy}": f"politique de mots de passe{NBSP}: {{policy}}",
    "lockout: {lockout}": f"verrouillage{NBSP}: {{lockout}}",
    "LAPS: {schema}, {coverage}": f"LAPS{NBSP}: {{schema}}, {{coverage}}",
    "Privileged accounts: {total}": f"Comptes à privilèges{NBSP}: {{total}}",
    "The riskiest: {accounts}": f"Les plus à risque{NBSP}: {{accounts}}",
    "{n} more directory": "{n} autre annuaire",
    "{n} more directories": "{n} autres annuaires",
}
