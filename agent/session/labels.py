"""Words the real client shows, per locale, for the few controls the agent must find.

Only labels confirmed in the wild are listed (see shared notes): English, Spanish, Portuguese
(Brazil) and Indonesian. Every other locale is handled by structure (icons, ids, roles, the
destructive last item, the dialog's primary button), so a missing language degrades to the
structural path instead of failing. The in-page warning banner has its own texts below.
"""

from __future__ import annotations

from typing import Final

# concept -> strings in any known locale (compared case-insensitively, whitespace folded)
LABELS: Final[dict[str, tuple[str, ...]]] = {
    "logout": ("Log out", "Cerrar sesión", "Desconectar", "Keluar"),
    "menu": ("Menu", "Menú", "Mais opções", "Menu"),
    "settings": ("Settings", "Ajustes", "Configurações", "Setelan"),
    "confirm_title": (
        "Log out?",
        "¿Cerrar sesión?",
        "Desconectar?",
        "Keluar?",
    ),
    "cancel": ("Cancel", "Cancelar", "Batal"),
    "lock_app": ("Lock app", "Bloquear app", "Bloquear aplicación", "Kunci aplikasi"),
    "use_here": ("Use here", "Usar aquí", "Usar aqui", "Gunakan di sini"),
    "close": ("Close", "Cerrar", "Fechar", "Tutup", "OK", "Ok"),
    "another_session": ("WhatsApp is open in another window",),
    "conflict": ("WhatsApp is open on another computer or browser",),
    "logging_out": ("Logging out", "Cerrando sesión", "Desconectando", "Sedang keluar"),
    "offline": ("Computer not connected",),
}

# The agent's own countdown banner, shown in the client's tab before an idle logout.
# {seconds} is replaced live. Keyed by BCP 47 language tag; the primary subtag is the fallback.
WARNING_TEXTS: Final[dict[str, str]] = {
    "en": "This computer is idle. WhatsApp will log out in {seconds} s. Move the mouse to stay.",
    "es": "Este equipo está inactivo. WhatsApp cerrará sesión en {seconds} s. "
    "Mueve el ratón para seguir.",
    "pt-BR": "Este computador está inativo. O WhatsApp será desconectado em {seconds} s. "
    "Mova o mouse para continuar.",
    "pt": "Este computador está inativo. O WhatsApp será desconectado em {seconds} s. "
    "Mova o rato para continuar.",
    "id": "Komputer ini tidak aktif. WhatsApp akan keluar dalam {seconds} dtk. "
    "Gerakkan mouse untuk tetap masuk.",
    "de": "Dieser Computer ist inaktiv. WhatsApp wird in {seconds} s abgemeldet. "
    "Bewegen Sie die Maus, um angemeldet zu bleiben.",
    "fr": "Cet ordinateur est inactif. WhatsApp se déconnectera dans {seconds} s. "
    "Bougez la souris pour rester connecté.",
}


def warning_text(language: str | None) -> str:
    """Given a page's language tag (e.g. "pt-BR", "de-DE"), return the warning banner text."""
    if language:
        if language in WARNING_TEXTS:
            return WARNING_TEXTS[language]
        primary = language.split("-")[0].lower()
        if primary in WARNING_TEXTS:
            return WARNING_TEXTS[primary]
    return WARNING_TEXTS["en"]
