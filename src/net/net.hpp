#pragma once
// Everything net/ offers, for callers that want one include: the max-min solver, the
// flow-level Network and the collectives built on it.
#include "net/collective.hpp"
#include "net/maxmin.hpp"
#include "net/network.hpp"
