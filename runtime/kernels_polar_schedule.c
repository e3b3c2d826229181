/*
 * kernels_polar_schedule.c - the coefficient schedules of Newton-Schulz
 * orthogonalization (rt_ns_schedule): Muon's quintic, You's 6 steps and
 * Polar Express, with Polar Express's safety factors.
 */
#include "kernels_polar_schedule.h"

#include <assert.h>
#include <string.h>

/* You's 6-step schedule as used by Modula (modula-systems/modula,
 * modula/atom.py, orthogonalize(): coefficients k/1024 by @YouJiacheng). */
static const double ns_you6[][3] = {
    {3955 / 1024.0, -8306 / 1024.0, 5008 / 1024.0}, {3735 / 1024.0, -6681 / 1024.0, 3463 / 1024.0},
    {3799 / 1024.0, -6499 / 1024.0, 3211 / 1024.0}, {4019 / 1024.0, -6385 / 1024.0, 2906 / 1024.0},
    {2677 / 1024.0, -3029 / 1024.0, 1162 / 1024.0}, {2172 / 1024.0, -1833 / 1024.0, 682 / 1024.0},
};

/* Polar Express, degree 5 (Amsel, Persson, Musco, Gower 2025, "The Polar
 * Express", arXiv:2505.16932, Algorithm 1). The published code divides all
 * but the last triple by (1.01, 1.01^3, 1.01^5) and normalizes by
 * 1.01 ||G||_F; both safety factors are applied in rt_ns_triple() and
 * rt_ns_norm_scale(). The last triple repeats for further steps. */
static const double ns_polar_express[][3] = {
    {8.28721201814563, -23.595886519098837, 17.300387312530933},
    {4.107059111542203, -2.9478499167379106, 0.5448431082926601},
    {3.9486908534822946, -2.908902115962949, 0.5518191394370137},
    {3.3184196573706015, -2.488488024314874, 0.51004894012372},
    {2.300652019954817, -1.6689039845747493, 0.4188073119525673},
    {1.891301407787398, -1.2679958271945868, 0.37680408948524835},
    {1.8750014808534479, -1.2500016453999487, 0.3750001645474248},
    {1.875, -1.25, 0.375},
};
static const double pe_safety = 1.01;

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

void rt_ns_triple(rt_ns_schedule schedule, int step, double abc[3]) {
  if (schedule == RT_NS_YOU6) {
    const int i = step < COUNT(ns_you6) ? step : COUNT(ns_you6) - 1;
    memcpy(abc, ns_you6[i], sizeof(double) * 3);
    return;
  }
  if (schedule == RT_NS_POLAR_EXPRESS) {
    const int last = COUNT(ns_polar_express) - 1;
    const int i = step < last ? step : last;
    const double s = i < last ? pe_safety : 1.0;
    abc[0] = ns_polar_express[i][0] / s;
    abc[1] = ns_polar_express[i][1] / (s * s * s);
    abc[2] = ns_polar_express[i][2] / (s * s * s * s * s);
    return;
  }
  assert(schedule == RT_NS_MUON5);
  /* Keller Jordan's quintic (Muon), the same every step. */
  abc[0] = 3.4445, abc[1] = -4.7750, abc[2] = 2.0315;
}

double rt_ns_norm_scale(rt_ns_schedule schedule) {
  return schedule == RT_NS_POLAR_EXPRESS ? pe_safety : 1.0;
}
