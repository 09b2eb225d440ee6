// Gmail / Outlook sync: tokens per provider, threads and messages.
import { supabase, getOrganizationId } from '../lib/supabaseClient';

const PROVIDERS = ['gmail', 'microsoft'];

export async function getConnectedProviders(userId) {
    const connected = [];
    for (const provider of PROVIDERS) {
        const { data } = await supabase
            .from(`${provider}_tokens`)
            .select('id')
            .eq('user_id', userId)
            .maybeSingle();
        if (data) connected.push(provider);
    }
    return connected;
}

export async function getGoogleCalendarToken(user) {
    // google_tokens.user_id is text: pass the id as a string
    const { data } = await supabase
        .from('google_tokens')
        .select('access_token, refresh_token, expiry_date')
        .eq('user_id', String(user.id))
        .maybeSingle();
    return data;
}

export async function listThreads(clientId) {
    const { data, error } = await supabase
        .from(`email_threads`)
        .select('id, subject, participants, message_count, last_message_at, opportunity:opportunities(title)')
        .eq('client_id', clientId)
        .eq('is_archived', false)
        .order('last_message_at', { ascending: false });
    if (error) throw error;
    return data;
}

export async function listMessages(threadId) {
    const { data } = await supabase
        .from('email_messages')
        .select('id, direction, from_address, to_addresses, subject, body_text, sent_at, is_read')
        .eq('thread_id', threadId)
        .order('sent_at');
    return data || [];
}

export async function markRead(messageIds) {
    await supabase.from('email_messages').update({ is_read: true }).in('id', messageIds);
}

export async function storeMessage(threadId, message) {
    return supabase.from('email_messages').insert({
        thread_id: threadId,
        direction: message.direction,
        from_address: message.from,
        to_addresses: message.to,
        subject: message.subject,
        body_text: message.text,
        sent_at: message.date,
        organization_id: await getOrganizationId(),
    });
}
