#!/usr/bin/env python3
"""Writes src/people/data/common_passwords.txt: the common-password list that new passwords are
checked against (PRODUCT.md §4; ASVS 6.2.4 asks for at least the top 3000).

Source: the `passwords` frequency list of zxcvbn (30,000 most common passwords of leaked
password sets, lower case), as Debian's python3-zxcvbn package carries it
(/usr/lib/python3/dist-packages/zxcvbn/frequency_lists.py, MIT licence). The list is data in the
repository (embedded into the binary at build time); this script only regenerates it:
    apt-get install python3-zxcvbn && /usr/bin/python3 scripts/gen_common_passwords.py
"""

import os
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    from zxcvbn import frequency_lists  # noqa: E402
except ImportError:
    sys.exit("gen_common_passwords: needs Debian's python3-zxcvbn (apt-get install python3-zxcvbn)")

words = frequency_lists.FREQUENCY_LISTS["passwords"]
out = os.path.join(os.path.dirname(__file__), "..", "src", "people", "data", "common_passwords.txt")
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("# The 30,000 most common passwords (zxcvbn's `passwords` frequency list, MIT licence),\n")
    f.write("# from Debian's python3-zxcvbn; regenerate with scripts/gen_common_passwords.py.\n")
    for w in words:
        # cmake/embed_text.cmake reads lines as a CMake list: no ";[]\\", no leading "#".
        if w and w.strip() == w and not w.startswith("#") and not any(c in w for c in ";[]\\\n"):
            f.write(w + "\n")
print(f"gen_common_passwords: {len(words)} passwords -> {os.path.normpath(out)}")
