"""python -m eval: see eval/run.py and eval/README.md."""
import sys

from eval.run import main

sys.exit(main())
