"""The probe as `llama_runtime` runs it, except that the best variant dies by a real SIGSEGV:
it stands in for llama.cpp's AMX kernels on a virtualised Xeon, which this machine may not be."""

import os
import signal
import sys

from genai_studio.backends.text import llama_runtime

if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"] and sys.argv[2] == llama_runtime.candidates()[0].name:
        os.kill(os.getpid(), signal.SIGSEGV)
    sys.exit(llama_runtime.main(sys.argv[1:]))
