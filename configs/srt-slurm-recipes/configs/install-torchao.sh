#!/bin/bash
# The setup script the lab's GB200 runner passes to `srtctl apply --setup-script` for
# dynamo-sglang rows; srtctl runs it in each worker container before the worker starts.
pip install torchao
