"""Project scripts: browser installation (install-browser.sh), book checks and screenshots."""
