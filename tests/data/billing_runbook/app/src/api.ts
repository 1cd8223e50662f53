import { createClient } from "@supabase/supabase-js";

const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!);

export async function customers() {
  return supabase.schema("billing").from("customers").select("id, email");
}

export async function invoices(customerId: number) {
  return supabase.schema("billing").from("invoices").select("*").eq("customer_id", customerId);
}
