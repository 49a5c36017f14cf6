import type { FastifyInstance } from 'fastify';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { vendorCatalogue } from '../vendor-catalogue.ts';

/** The vendor catalogue: what the console's forms, device sections and attribute reference are built from. */
export function registerVendorRoutes(app: FastifyInstance, deps: RouteDeps) {
  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/vendors',
    summary: 'The EDR vendors postern connects: integration fields, connection checks, attribute table and health reasons of each',
    tags: ['integrations'],
    roles: READ,
    handler: async () => ({ data: vendorCatalogue() }),
  });
}
