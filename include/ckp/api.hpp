#pragma once
/// @file
/// The Cloudflare API model: values in, values out, no I/O.

#include "ckp/api/base64.hpp"
#include "ckp/api/envelope.hpp"
#include "ckp/api/error.hpp"
#include "ckp/api/http.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/multipart.hpp"
#include "ckp/api/purge.hpp"
#include "ckp/api/rate_headers.hpp"
#include "ckp/api/time.hpp"
#include "ckp/api/url.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
