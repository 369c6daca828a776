/**
 * DyDiT's routers and their objective (spec §3.2-3.4, §3.7): {@link org.dydit.routing.TimestepRouter} (TDW: active
 * heads and MLP channel groups per timestep), {@link org.dydit.routing.TokenRouter} (SDT: which tokens run the MLP),
 * the Gumbel-sigmoid relaxation with its noise, {@link org.dydit.routing.DyDiTRouting} (the routers attached to the
 * training engine, gradients equal to the reference graph's) and {@link org.dydit.routing.FlopsLoss}.
 */
package org.dydit.routing;
