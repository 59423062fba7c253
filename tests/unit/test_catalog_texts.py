"""Every control tells how to fix it, and says its title, rationale and fix in French as well."""

from __future__ import annotations

from carehard.catalog import load_catalog


def test_no_control_lacks_its_fix_or_its_french_texts() -> None:
    lacking = [
        f"{control.id}: {key}" + ("" if lang == "en" else f" ({lang})")
        for control in load_catalog().all()
        for lang in ("en", "fr")
        for key in ("title", "rationale", "fix")
        if not (control.texts.get(lang, {}).get(key) if lang != "en" else getattr(control, key)).strip()
    ]
    assert not lacking, lacking


def test_french_texts_are_french_not_copies() -> None:
    controls = load_catalog().all()
    copied = [
        c.id for c in controls if c.text("rationale", "fr") == c.rationale or c.text("fix", "fr") == c.fix
    ]
    assert not copied, copied


def test_the_report_carries_the_texts_of_its_language() -> None:
    control = load_catalog()["WL-SSH-01"]
    english, french = control.as_dict("en"), control.as_dict("fr")
    assert english["title"] == control.title and english["fix"] == control.fix
    assert french["title"] == control.texts["fr"]["title"] != control.title
    assert french["fix"] == control.texts["fr"]["fix"]
