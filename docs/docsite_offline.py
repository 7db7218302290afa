# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make docs`, after `antsibull-docs sphinx-init`: build the site without downloading anything.

The conf.py that sphinx-init writes loads the intersphinx inventories of docs.python.org, Jinja and
docs.ansible.com from the network; offline, each failed download is a warning, and the build runs with -W.
The pages antsibull-docs renders link to a few labels of the Ansible documentation (the "action plugin" note,
"common return values", the environment variables page). This writes a local inventory of exactly those
labels, pointing at their pages on docs.ansible.com, and makes it the only intersphinx inventory: the links
in the HTML stay the same, and a page that links to a label not listed here fails the build by name. It also makes
the theme's home link lead to this site's own index (HOME).

Usage: python docs/docsite_offline.py DOCSITE_DIR   (the --dest-dir of sphinx-init)
"""

from __future__ import annotations

import os
import sys
import zlib

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"

# label: (page under ANSIBLE_DOCS, title). The labels antsibull-docs' templates refer to.
LABELS = {
    "action_plugins": ("plugins/action.html", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "callback_plugins": ("plugins/callback.html", "Callback plugins"),
    "collections_keyword": ("collections_guide/collections_using_playbooks.html", "the collections keyword"),
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
    "list_of_callback_plugins": ("plugins/callback.html", "Plugin list"),
    "list_of_collections": ("collections/index.html", "Collection Index"),
}

INVENTORY = "ansible_devel.inv"

# The Ansible theme's logo (the site's home link) goes to its option documentation_home_url, "/" by default: the root
# of docs.ansible.com, or of the disk for a site opened from its files. Here it goes to this site's own first page, as
# each page reaches it (pathto, at each page's depth).
HOME = """
# Written by docs/docsite_offline.py: the home link of every page leads to this site's index, not to "/".
def _home_is_this_site(app, pagename, templatename, context, doctree):
    context["theme_documentation_home_url"] = context["pathto"](app.config.root_doc)


def setup(app):
    app.connect("html-page-context", _home_is_this_site)
"""


def inventory() -> bytes:
    """A Sphinx inventory (version 2) of LABELS."""
    header = ("# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
              "# The remainder of this file is compressed using zlib.\n")
    lines = "".join("%s std:label -1 %s %s\n" % (label, page, title) for label, (page, title) in sorted(LABELS.items()))
    return header.encode("utf-8") + zlib.compress(lines.encode("utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not os.path.isfile(os.path.join(argv[1], "conf.py")):
        print("usage: python docs/docsite_offline.py DOCSITE_DIR (a directory made by antsibull-docs sphinx-init)",
              file=sys.stderr)
        return 2
    docsite = os.path.abspath(argv[1])
    with open(os.path.join(docsite, INVENTORY), "wb") as handle:
        handle.write(inventory())
    with open(os.path.join(docsite, "conf.py"), "a", encoding="utf-8") as handle:
        handle.write("\n# Written by docs/docsite_offline.py: no download, the Ansible labels from a local inventory.\n"
                     "intersphinx_mapping = {%r: (%r, %r)}\n"
                     % ("ansible_devel", ANSIBLE_DOCS, os.path.join(docsite, INVENTORY)))
        handle.write(HOME)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
