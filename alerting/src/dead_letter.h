// The dead-letter file lives in the module's public header, since `vigia alerts replay-dlq`
// (daemon/) reads and rewrites it; this keeps the stage's own includes working.
#pragma once

#include "vigia/alerting/dead_letter.h"
