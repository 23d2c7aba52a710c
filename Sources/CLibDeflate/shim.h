// libdeflate (Debian: libdeflate-dev): whole-buffer gzip decompression of .nii.gz volumes.
#include <libdeflate.h>
