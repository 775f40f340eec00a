"""What a board runs at boot: the demo (``demo.py``). That is precompiled
in lib/ like the rest, because compiled here from source its parse would
take, and leave scattered, the heap its pages need."""

import demo

demo.run()
