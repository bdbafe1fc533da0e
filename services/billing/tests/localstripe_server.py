"""Run localstripe bound to 127.0.0.1 on the given port (its CLI binds every interface).

The store is kept in memory only: localstripe would otherwise pickle it to
``/tmp/localstripe.pickle`` after every write.
"""

import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

store.dump_to_disk = lambda: None  # type: ignore[method-assign]
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
