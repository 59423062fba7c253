"""-K/--ask-become-pass, -J/--ask-vault-pass and -v/-vv/-vvv, as ansible-playbook takes them, on
every command that reads an inventory through Ansible or runs a playbook. The passwords are asked
once, before anything runs, and reach Ansible as files it reads (engine.ansible_secrets)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from carehard.engine.ansible_secrets import BECOME_FILE, VAULT_FILE, handed_to_ansible
from carehard.errors import UsageError

Command = Callable[..., Any]


def password_options(become: bool = True) -> Callable[[Command], Command]:
    """-J (and -K unless become=False): the command runs with the passwords handed to Ansible."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def with_passwords(
            *args: Any, ask_vault_pass: bool, ask_become_pass: bool = False, **kwargs: Any
        ) -> Any:
            become_password, vault_password = ask_passwords(ask_become_pass, ask_vault_pass)
            with handed_to_ansible(become_password, vault_password):
                return command(*args, **kwargs)

        decorated: Command = click.option(
            "-J",
            "--ask-vault-pass",
            is_flag=True,
            help=f"Ask for the vault password of the inventory's encrypted values (or set {VAULT_FILE}).",
        )(with_passwords)
        if become:
            decorated = click.option(
                "-K",
                "--ask-become-pass",
                is_flag=True,
                help=f"Ask for the become (sudo) password of the admin account (or set {BECOME_FILE}).",
            )(decorated)
        return decorated

    return decorate


def verbosity_option(command: Command) -> Command:
    return click.option(
        "-v",
        "--verbose",
        "verbosity",
        count=True,
        help="ansible-playbook's output on stderr instead of the progress bar; -vv, -vvv: more detail.",
    )(command)


def ansible_options(command: Command) -> Command:
    """-K, -J and -v, for a command that runs playbooks."""
    return password_options()(verbosity_option(command))


def ask_passwords(become: bool, vault: bool) -> tuple[str | None, str | None]:
    """The passwords asked for, typed at hidden prompts; refused where nobody can type them."""
    asked = [flag for flag, wanted in (("--ask-become-pass", become), ("--ask-vault-pass", vault)) if wanted]
    if not asked:
        return None, None
    if not sys.stdin.isatty():
        variables = [name for name, wanted in ((BECOME_FILE, become), (VAULT_FILE, vault)) if wanted]
        raise UsageError(
            f"{' and '.join(asked)}: no terminal to type a password in; for a scheduled or scripted"
            f" run, set {' and '.join(variables)} to the file holding it, readable only by you"
        )
    become_password = _hidden_prompt("BECOME password") if become else None
    vault_password = _hidden_prompt("Vault password") if vault else None
    return become_password, vault_password


def _hidden_prompt(text: str) -> str:
    """Typed on the terminal, not echoed; asked again when empty (Ctrl-C gives up)."""
    return str(click.prompt(text, hide_input=True, prompt_suffix=": ", err=True))
