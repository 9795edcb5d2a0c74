#pragma once
/// @file
/// Umbrella header: everything a program needs to use the engine.

#include "ckp/api.hpp"
#include "ckp/version.hpp"
