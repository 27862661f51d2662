"""kioskguard: logs shared PCs out of WhatsApp Web and verifies the unlink.

Layout (control flows top to bottom):
    cli -> daemon (settings, triggers, scheduler) -> session (page state, logout)
        -> browser (discovery, locks, the Playwright driver) and probe (offline storage reader)
    simulator: a faithful local stand-in for the WhatsApp Web client and the phone.

Importing this package is cheap: no submodule is imported here.
"""

__version__ = "0.1.0"
