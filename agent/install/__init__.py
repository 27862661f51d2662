"""`kioskguard install` and `uninstall`: the service from the package data, with local paths."""
