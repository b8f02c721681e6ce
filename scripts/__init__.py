"""Project scripts: browser installation (install-browser.sh), screenshots of the built book, notebook refresh."""
