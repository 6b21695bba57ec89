#include "trace/trace-hw_kfd.h"
