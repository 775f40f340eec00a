"""What a board runs at boot: the app's main.py, built into lib/ as
``app_main`` (tools/build.py --app). That is precompiled like the rest,
because compiled here from source its parse would take, and leave
scattered, the heap its pages need. An app's main.py declares its dashboard
and defines ``run()``, which serves it until stopped."""

import app_main

app_main.run()
