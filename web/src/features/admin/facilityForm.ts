/** The facility form's fields as typed text, and the SaveFacilityInput made from them. */

export interface FacilityLike {
  id: string;
  name: string;
  capacity: number;
  notes: string;
  owningDepartmentId?: string | null;
  poolSize: number;
  sortOrder: number;
  isActive: boolean;
  openTime?: string | null;
  closeTime?: string | null;
  bookableWeekdays: readonly number[];
  maxDaysAhead?: number | null;
  minMinutes?: number | null;
  maxMinutes?: number | null;
  allowedDepartmentIds: readonly string[];
  needsApproval: boolean;
}

export interface FacilityForm {
  id: string | null;
  groupId: string;
  name: string;
  capacity: string;
  poolSize: string;
  notes: string;
  owningDepartmentId: string;
  openTime: string;
  closeTime: string;
  bookableWeekdays: number[];
  maxDaysAhead: string;
  minMinutes: string;
  maxMinutes: string;
  needsApproval: boolean;
  isActive: boolean;
  sortOrder: string;
  allowedDepartmentIds: string[];
}

export const NUMBER_FIELDS = [
  "capacity",
  "poolSize",
  "maxDaysAhead",
  "minMinutes",
  "maxMinutes",
  "sortOrder",
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];

export function emptyFacilityForm(groupId: string): FacilityForm {
  return {
    id: null,
    groupId,
    name: "",
    capacity: "0",
    poolSize: "1",
    notes: "",
    owningDepartmentId: "",
    openTime: "",
    closeTime: "",
    bookableWeekdays: [],
    maxDaysAhead: "",
    minMinutes: "",
    maxMinutes: "",
    needsApproval: false,
    isActive: true,
    sortOrder: "0",
    allowedDepartmentIds: [],
  };
}

const hhmm = (time: string | null | undefined) => (time ? time.slice(0, 5) : "");
const text = (value: number | null | undefined) => (value == null ? "" : String(value));

export function facilityToForm(groupId: string, facility: FacilityLike): FacilityForm {
  return {
    id: facility.id,
    groupId,
    name: facility.name,
    capacity: String(facility.capacity),
    poolSize: String(facility.poolSize),
    notes: facility.notes,
    owningDepartmentId: facility.owningDepartmentId ?? "",
    openTime: hhmm(facility.openTime),
    closeTime: hhmm(facility.closeTime),
    bookableWeekdays: [...facility.bookableWeekdays].sort((a, b) => a - b),
    maxDaysAhead: text(facility.maxDaysAhead),
    minMinutes: text(facility.minMinutes),
    maxMinutes: text(facility.maxMinutes),
    needsApproval: facility.needsApproval,
    isActive: facility.isActive,
    sortOrder: String(facility.sortOrder),
    allowedDepartmentIds: [...facility.allowedDepartmentIds],
  };
}

/** A whole number of 0 or more from typed text (full-width digits too); blank: null. */
export function parseCount(value: string): number | null | "invalid" {
  const ascii = value
    .trim()
    .replace(/[\uff10-\uff19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  if (ascii === "") return null;
  if (!/^\d{1,7}$/.test(ascii)) return "invalid";
  return Number(ascii);
}

export interface SaveFacilityVariables {
  id: string | null;
  groupId: string;
  name: string;
  capacity: number;
  poolSize: number;
  notes: string;
  owningDepartmentId: string | null;
  openTime: string | null;
  closeTime: string | null;
  bookableWeekdays: number[];
  maxDaysAhead: number | null;
  minMinutes: number | null;
  maxMinutes: number | null;
  needsApproval: boolean;
  isActive: boolean;
  sortOrder: number;
  allowedDepartmentIds: string[];
}

/** The input to send, or the fields whose text is not a number (nothing is sent then). */
export function formToInput(
  form: FacilityForm,
): { input: SaveFacilityVariables; invalid: [] } | { input: null; invalid: NumberField[] } {
  const numbers = {} as Record<NumberField, number | null>;
  const invalid: NumberField[] = [];
  for (const field of NUMBER_FIELDS) {
    const parsed = parseCount(form[field]);
    if (parsed === "invalid") invalid.push(field);
    else numbers[field] = parsed;
  }
  if (invalid.length > 0) return { input: null, invalid };
  return {
    invalid: [],
    input: {
      id: form.id,
      groupId: form.groupId,
      name: form.name.trim(),
      capacity: numbers.capacity ?? 0,
      poolSize: numbers.poolSize ?? 1,
      notes: form.notes.trim(),
      owningDepartmentId: form.owningDepartmentId || null,
      openTime: form.openTime ? `${form.openTime}:00` : null,
      closeTime: form.closeTime ? `${form.closeTime}:00` : null,
      bookableWeekdays: [...form.bookableWeekdays].sort((a, b) => a - b),
      maxDaysAhead: numbers.maxDaysAhead ?? null,
      minMinutes: numbers.minMinutes ?? null,
      maxMinutes: numbers.maxMinutes ?? null,
      needsApproval: form.needsApproval,
      isActive: form.isActive,
      sortOrder: numbers.sortOrder ?? 0,
      allowedDepartmentIds: form.allowedDepartmentIds,
    },
  };
}
