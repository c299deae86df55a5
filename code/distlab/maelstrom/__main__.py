"""``python -m distlab.maelstrom NODE``: serve a distlab node as a Maelstrom process.

NODE is a workload name (``echo``, ``unique-ids``, ``broadcast``, ``g-counter``,
``pn-counter``, ``lin-kv``) or a node class such as
``distlab.maelstrom.nodes:EchoNode``. See ``distlab.maelstrom.runtime``.
"""

import sys

from .runtime import main

if __name__ == "__main__":
    sys.exit(main())
