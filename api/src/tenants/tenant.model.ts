import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** Weekly business hours: weekday (1 = Monday … 7 = Sunday) → intervals "HH:MM"–"HH:MM". */
export type BusinessHours = Array<{ weekday: number; intervals: Array<{ start: string; end: string }> }>;

/** Widget look for tenants that never chose one (and for documents older than these settings). */
export const WIDGET_APPEARANCE_DEFAULTS = {
  widgetPrimaryColor: '#4f46e5',
  widgetTextColor: '#ffffff',
  widgetGreeting: 'Hi! How can we help?',
} as const;

/** A tenant: one helpdesk (a company using Switchboard). Not tenant-scoped: it is the tenant. */
export interface Tenant {
  _id: Types.ObjectId;
  slug: string;
  name: string;
  timezone: string;
  businessHours: BusinessHours;
  /** Secret for the widget's identity HMAC; never sent to browsers. */
  widgetSecret: string;
  /** Public key the embed snippet carries. */
  widgetKey: string;
  /** Server-only key that signs widget visitor and session tokens (absent on tenants older than the widget). */
  widgetTokenKey?: string;
  settings: {
    /** Customers may see their organisation's tickets, not only their own. */
    customersSeeOrganisationTickets: boolean;
    /** AI confidence above which a category is applied automatically. */
    aiConfidenceThreshold: number;
    /** Allowed origins for the widget (empty = any). */
    widgetAllowedOrigins: string[];
    /** Refuse widget messages without a verified identity. */
    widgetRequireVerifiedIdentity: boolean;
    /** Widget colours (`#rrggbb`): launcher and header background, and the text on it. */
    widgetPrimaryColor: string;
    widgetTextColor: string;
    /** First words the widget shows a visitor. */
    widgetGreeting: string;
  };
  createdAt: Date;
  updatedAt: Date;
}

const tenantSchema = new Schema<Tenant>(
  {
    slug: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    timezone: { type: String, required: true, default: 'UTC' },
    businessHours: {
      type: [{ _id: false, weekday: Number, intervals: [{ _id: false, start: String, end: String }] }],
      default: () => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, intervals: [{ start: '09:00', end: '17:00' }] })),
    },
    widgetSecret: { type: String, required: true },
    widgetKey: { type: String, required: true, unique: true },
    widgetTokenKey: { type: String },
    settings: {
      customersSeeOrganisationTickets: { type: Boolean, default: true },
      aiConfidenceThreshold: { type: Number, default: 0.6 },
      widgetAllowedOrigins: { type: [String], default: [] },
      widgetRequireVerifiedIdentity: { type: Boolean, default: false },
      widgetPrimaryColor: { type: String, default: WIDGET_APPEARANCE_DEFAULTS.widgetPrimaryColor },
      widgetTextColor: { type: String, default: WIDGET_APPEARANCE_DEFAULTS.widgetTextColor },
      widgetGreeting: { type: String, default: WIDGET_APPEARANCE_DEFAULTS.widgetGreeting },
    },
  },
  { timestamps: true, versionKey: false },
);

/** Registers the model on a connection. */
export function tenantModel(connection: Connection): Model<Tenant> {
  return connection.model<Tenant>('Tenant', tenantSchema, 'tenants');
}
